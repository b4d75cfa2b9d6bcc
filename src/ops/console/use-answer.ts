import { useEffect, useState } from 'preact/hooks';

/**
 * The answer of the latest request only: when the filter or page changes while a request is
 * under way, its late answer must not overwrite the newer one's.
 */
export function useAnswer<T>(load: () => Promise<T>, fail: (error: unknown) => void, inputs: unknown[]): T | null {
  const [value, setValue] = useState<T | null>(null);
  useEffect(() => {
    let latest = true;
    load().then(
      (answer) => latest && setValue(answer),
      (error) => latest && fail(error),
    );
    return () => {
      latest = false;
    };
  }, inputs);
  return value;
}
