// The page: a header with what data this is (range, customers, last refresh, model date), the tabs, and the
// panels. It owns the view state and keeps it in the URL: pushState on every change, popstate to go back.
import type { ComponentType } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { ModelMetrics as Metrics, SegmentsResponse } from '../api.ts';
import { ApiError, apiPaths } from '../api.ts';
import { formatInteger, rfmAsOf, segmentNames } from '../shape.ts';
import { useApi } from '../use-api.ts';
import type { KnownValues, Tab, ViewState } from '../view-state.ts';
import { defaultViewState, parseViewState, viewStateToSearch, withKnownValues } from '../view-state.ts';
import { CustomerDetails } from './CustomerDetails.tsx';
import { CustomerLookup } from './CustomerLookup.tsx';
import { ErrorBanner } from './ErrorBanner.tsx';
import type { MovementProps } from './Movement.tsx';
import { ModelMetrics } from './ModelMetrics.tsx';
import { MonthlyChart } from './MonthlyChart.tsx';
import { RFMMetrics } from './RFMMetrics.tsx';
import { SegmentationChart } from './SegmentationChart.tsx';

const tabs: { tab: Tab; title: string }[] = [
  { tab: 'overview', title: 'Overview' },
  { tab: 'movement', title: 'Movement' },
];

export function Dashboard() {
  const [view, setView] = useState<ViewState>(() => parseViewState(location.search));
  const [segments, retrySegments] = useApi<SegmentsResponse>(apiPaths.segments);
  const [metrics, retryMetrics] = useApi<Metrics>(apiPaths.modelMetrics);

  useEffect(() => {
    const onPopState = () => setView(parseViewState(location.search));
    addEventListener('popstate', onPopState);
    return () => removeEventListener('popstate', onPopState);
  }, []);

  const change = useCallback((next: Partial<ViewState>) => {
    setView((current) => {
      const updated = { ...current, ...next };
      const search = viewStateToSearch(updated);
      if (search !== location.search) history.pushState(null, '', `${location.pathname}${search}`);
      return updated;
    });
  }, []);
  // A value the shop does not have falls back to its default once the page knows what the shop has. The URL is
  // corrected in place (replaceState): Back then skips the link's unknown value rather than landing on it again.
  const correct = useCallback((known: KnownValues) => {
    setView((current) => {
      const fixed = withKnownValues(current, known);
      if (fixed !== current) history.replaceState(null, '', `${location.pathname}${viewStateToSearch(fixed)}`);
      return fixed;
    });
  }, []);
  const openCustomer = useCallback((customer: string) => change({ customer }), [change]);
  const selectSegment = useCallback((segment: string | null) => change({ segment, page: 1 }), [change]);

  const data = segments.data;
  const known = useMemo(() => data && { segments: segmentNames(data) }, [data]);
  useEffect(() => {
    if (known) correct(known);
  }, [known, view]);
  // This render already shows the corrected view, so no panel asks the API for an unknown segment meanwhile.
  const shown = known ? withKnownValues(view, known) : view;
  const modelDate = metrics.status === 'ok' ? metrics.data.model_trained_date : metrics.status === 'error' && metrics.error.status === 503 ? 'none yet' : '…';

  return (
    <>
      <header class="top">
        <h1>salesdash</h1>
        <nav class="tabs" aria-label="Views">
          {tabs.map(({ tab, title }) => (
            // Real links (open in a new tab works); a plain click switches in place and starts the tab afresh.
            <a
              key={tab}
              href={viewStateToSearch({ ...defaultViewState, tab }) || location.pathname}
              aria-current={shown.tab === tab ? 'page' : undefined}
              data-testid={`tab-${tab}`}
              onClick={(e) => {
                if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
                e.preventDefault();
                if (shown.tab !== tab) change({ ...defaultViewState, tab });
              }}
            >
              {title}
            </a>
          ))}
        </nav>
        <dl class="facts header-facts" data-testid="header-facts">
          <div>
            <dt>Data</dt>
            <dd>{data?.data_range?.first_purchase ? `${data.data_range.first_purchase} – ${data.data_range.last_purchase}` : '–'}</dd>
          </div>
          <div>
            <dt>Customers</dt>
            <dd data-testid="total-customers">{data ? formatInteger(data.total_customers) : '…'}</dd>
          </div>
          <div>
            <dt>RFM as of</dt>
            <dd>{data ? rfmAsOf(data) : '…'}</dd>
          </div>
          <div>
            <dt>Model</dt>
            <dd>{modelDate}</dd>
          </div>
        </dl>
        <CustomerLookup onOpen={openCustomer} />
      </header>
      <main>
        {segments.status === 'error' && <ErrorBanner what="the segments" error={segments.error} onRetry={retrySegments} />}
        {shown.tab === 'movement' ? (
          <LazyMovement
            view={shown}
            currentAsOf={data?.last_updated}
            horizonDays={data?.forecast?.horizon_days}
            onChange={change}
            onCorrect={correct}
            onOpenCustomer={openCustomer}
          />
        ) : (
          <>
            {!data && segments.status === 'loading' && <p class="loading">Loading dashboard…</p>}
            {data && (
              <>
                {data.last_updated === null && (
                  <p class="notice" role="status">
                    {data.refreshed_at ? 'The last refresh found no counted purchases.' : 'No RFM scores yet.'} Load orders (<code>salesdash import</code> or <code>salesdash generate</code>) and run <code>salesdash refresh</code>.
                  </p>
                )}
                <div class="overview">
                  <SegmentationChart response={data} selected={shown.segment} onSelect={selectSegment} />
                  <MonthlyChart monthly={data.monthly} />
                </div>
                <div class={shown.customer ? 'workbench with-details' : 'workbench'}>
                  <RFMMetrics view={shown} segments={data} onChange={change} onOpenCustomer={openCustomer} />
                  {shown.customer && <CustomerDetails customerId={shown.customer} onClose={() => change({ customer: null })} />}
                </div>
              </>
            )}
            <ModelMetrics metrics={metrics} onRetry={retryMetrics} />
          </>
        )}
      </main>
    </>
  );
}

// The movement tab is a chunk of its own, downloaded the first time it is shown: the first view stays as small
// as before. Kept once loaded, so switching tabs back and forth does not flash "Loading".
let loadedMovement: ComponentType<MovementProps> | undefined;

function LazyMovement(props: MovementProps) {
  const [Movement, setMovement] = useState(() => loadedMovement);
  const [failed, setFailed] = useState<ApiError | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (Movement) return;
    let live = true;
    import('./Movement.tsx').then(
      (module) => {
        loadedMovement = module.Movement;
        if (live) setMovement(() => module.Movement);
      },
      (error: Error) => live && setFailed(new ApiError(0, error.message)),
    );
    return () => {
      live = false;
    };
  }, [attempt]);
  if (Movement) return <Movement {...props} />;
  if (failed) return <ErrorBanner what="the movement view" error={failed} onRetry={() => (setFailed(null), setAttempt((n) => n + 1))} />;
  return <p class="loading">Loading movement…</p>;
}
