// One way to say "this part failed" everywhere: what failed, the API's one-line reason, and a retry.
import type { ApiError } from '../api.ts';

export function ErrorBanner({ what, error, onRetry }: { what: string; error: ApiError; onRetry: () => void }) {
  return (
    <div class="error-banner" role="alert">
      <span>
        Could not load {what}: {error.message}
        {error.status ? ` (HTTP ${error.status})` : ''}.
      </span>
      <button type="button" onClick={onRetry}>
        Retry
      </button>
    </div>
  );
}
