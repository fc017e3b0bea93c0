// The Customers panel: segment filter, the RFM table (sort, paging), CSV export of the same selection, and
// the R/F/M distributions.
import { useEffect } from 'preact/hooks';
import type { RfmPage, SegmentsResponse } from '../api.ts';
import { reportDrawn } from '../first-view.ts';
import { segmentNames } from '../shape.ts';
import { useApi } from '../use-api.ts';
import type { ViewState } from '../view-state.ts';
import { rfmPagePath } from '../view-state.ts';
import { ExportButton } from './ExportButton.tsx';
import { Histograms } from './Histograms.tsx';
import { RfmTable } from './RfmTable.tsx';

interface Props {
  view: ViewState;
  segments: SegmentsResponse;
  onChange: (change: Partial<ViewState>) => void;
  onOpenCustomer: (customerId: string) => void;
}

export function RFMMetrics({ view, segments, onChange, onOpenCustomer }: Props) {
  const path = rfmPagePath(view);
  const [page, retry] = useApi<RfmPage>(path);
  const total = page.data?.total ?? 0;

  useEffect(() => {
    if (page.status === 'ok') reportDrawn('table');
  }, [page.status]);

  return (
    <section class="panel customers" aria-labelledby="customers-title">
      <div class="panel-head">
        <h2 id="customers-title">Customers</h2>
        <label class="inline">
          Segment{' '}
          <select
            value={view.segment ?? ''}
            data-testid="segment-filter"
            onChange={(e) => onChange({ segment: (e.currentTarget as HTMLSelectElement).value || null, page: 1 })}
          >
            <option value="">All segments</option>
            {segmentNames(segments).map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <ExportButton view={view} disabled={total === 0} />
      </div>
      <RfmTable
        view={view}
        path={path}
        page={page}
        onRetry={retry}
        onChange={onChange}
        onOpenCustomer={onOpenCustomer}
        empty={
          view.segment ? (
            `No customers in ${view.segment}.`
          ) : (
            <>
              No customers yet: load orders and run <code>salesdash refresh</code>.
            </>
          )
        }
        horizonDays={segments.forecast?.horizon_days}
      />
      <h3>Distributions (all customers)</h3>
      <Histograms histograms={segments.histograms} />
    </section>
  );
}
