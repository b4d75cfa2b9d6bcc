// Bench-only, preloaded into the platform by the data scenario (node --expose-gc --require …):
// SIGUSR2 runs a full garbage collection, so that RSS and the heap are read after one, before
// and after the 2,000-endpoint run, rather than at whatever point V8 left its garbage.
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') global.gc();
});
