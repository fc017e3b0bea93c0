// Downloads every row the current filter selects, in the table's order, through the API's streamed CSV
// export: a plain link, so the browser streams the file to disk instead of the page holding it in memory.
import type { ViewState } from '../view-state.ts';
import { exportPath } from '../view-state.ts';

export function ExportButton({ view, disabled }: { view: ViewState; disabled?: boolean }) {
  if (disabled) {
    return (
      <span class="button disabled" aria-disabled="true" data-testid="export-csv">
        Export CSV
      </span>
    );
  }
  return (
    <a class="button" href={exportPath(view)} download data-testid="export-csv">
      Export CSV
    </a>
  );
}
