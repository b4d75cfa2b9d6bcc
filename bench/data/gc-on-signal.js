// Bench-only, preloaded into the platform by the data scenario (node --expose-gc --require …):
// SIGWINCH runs a full garbage collection, so that RSS and the heap are read after one, before
// and after the 2,000-endpoint run, rather than at whatever point V8 left its garbage. Not
// SIGUSR2: Nest's enableShutdownHooks() shuts the application down on it (and SIGUSR1 starts
// Node's inspector); SIGWINCH is ignored by default and by the platform.
process.on('SIGWINCH', () => {
  if (typeof global.gc === 'function') global.gc();
});
