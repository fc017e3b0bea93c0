// One hook for every API read: loading / ok / error state, a retry, and cancellation of a request whose
// answer is no longer wanted (the user paged on), so a slow old answer never overwrites a newer one.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, getJson } from './api.ts';

export type Remote<T> =
  | { status: 'loading'; data?: T }
  | { status: 'ok'; data: T }
  | { status: 'error'; error: ApiError; data?: T };

export function useApi<T>(path: string | null): [Remote<T>, () => void] {
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<Remote<T>>({ status: 'loading' });
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    // Keep showing the previous data while the next arrives: the table does not flash empty between pages.
    setState((previous) => ({ status: 'loading', data: previous.data }));
    getJson<T>(path, controller.signal).then(
      (data) => setState({ status: 'ok', data }),
      (error: Error) => {
        if (controller.signal.aborted) return;
        setState({ status: 'error', error: error instanceof ApiError ? error : new ApiError(0, error.message) });
      },
    );
    return () => controller.abort();
  }, [path, attempt]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  return [state, retry];
}
