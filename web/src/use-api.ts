// One hook for every API read: loading / ok / error state, a retry, and cancellation of a request whose
// answer is no longer wanted (the user paged on), so a slow old answer never overwrites a newer one.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, getJson } from './api.ts';

export type Remote<T> =
  | { status: 'loading'; data?: T }
  | { status: 'ok'; data: T }
  | { status: 'error'; error: ApiError; data?: T };

type Answer<T> = Remote<T> & { path: string | null };

export function useApi<T>(path: string | null): [Remote<T>, () => void] {
  const [attempt, setAttempt] = useState(0);
  const [answer, setAnswer] = useState<Answer<T>>({ status: 'loading', path: null });
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    // Keep showing the previous data while the next arrives: the table does not flash empty between pages.
    setAnswer((previous) => ({ status: 'loading', data: previous.data, path }));
    getJson<T>(path, controller.signal).then(
      (data) => setAnswer({ status: 'ok', data, path }),
      (error: Error) => {
        if (controller.signal.aborted) return;
        const apiError = error instanceof ApiError ? error : new ApiError(0, error.message);
        setAnswer((previous) => ({ status: 'error', error: apiError, data: previous.data, path }));
      },
    );
    return () => controller.abort();
  }, [path, attempt]);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  // The render right after the path changed still holds the old path's answer: it is not this path's data.
  if (answer.path !== path) return [{ status: 'loading', data: answer.data }, retry];
  return [answer, retry];
}
