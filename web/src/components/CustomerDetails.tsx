// One customer's profile: RFM figures and scores, segment, the model's purchase probability with its
// confidence and expected orders and revenue over its horizon, and every counted order with its products,
// newest first.
import { useEffect, useRef } from 'preact/hooks';
import type { CustomerDetails as Details } from '../api.ts';
import { apiPaths } from '../api.ts';
import { formatDecimal, formatInteger, formatMoney, formatShare, horizonText } from '../shape.ts';
import { useApi } from '../use-api.ts';
import { ErrorBanner } from './ErrorBanner.tsx';

export function CustomerDetails({ customerId, onClose }: { customerId: string; onClose: () => void }) {
  const [details, retry] = useApi<Details>(apiPaths.customerDetails(customerId));
  const heading = useRef<HTMLHeadingElement>(null);
  // Move focus to the panel so keyboard and screen reader users land on what they opened.
  useEffect(() => heading.current?.focus(), [customerId]);
  const data = details.status === 'ok' ? details.data : undefined;

  return (
    <section
      class="panel details"
      aria-labelledby="details-title"
      data-testid="customer-details"
      aria-busy={details.status === 'loading'}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
      }}
    >
      <div class="panel-head">
        <h2 id="details-title" tabIndex={-1} ref={heading}>
          {/* The API answers order-level ids with the person; show whom the figures are for. */}
          Customer <span class="id">{data?.customer_id ?? customerId}</span>
        </h2>
        <button type="button" onClick={onClose} aria-label="Close customer details">
          Close
        </button>
      </div>
      {details.status === 'loading' && <p class="loading">Loading customer…</p>}
      {details.status === 'error' &&
        (details.error.status === 404 ? (
          <p class="empty" role="status">
            No customer with this id.
          </p>
        ) : (
          <ErrorBanner what="this customer" error={details.error} onRetry={retry} />
        ))}
      {data && <Profile details={data} />}
    </section>
  );
}

function Profile({ details }: { details: Details }) {
  const { rfm, prediction } = details;
  const place = [details.city, details.state].filter(Boolean).join(', ');
  return (
    <div class="profile">
      <dl class="facts">
        {place && <Fact term="Place" value={place} />}
        {rfm ? (
          <>
            <Fact term="Segment" value={rfm.segment ?? '–'} testId="details-segment" />
            <Fact term="Recency" value={`${formatInteger(rfm.recency)} days${score(rfm.recency_score)}`} />
            <Fact term="Orders" value={`${formatInteger(rfm.frequency)}${score(rfm.frequency_score)}`} />
            <Fact term="Spent (net of refunds)" value={`${formatMoney(rfm.monetary)}${score(rfm.monetary_score)}`} />
            {rfm.rfm_score != null && <Fact term="RFM score" value={String(rfm.rfm_score)} />}
          </>
        ) : (
          // The API sends rfm: null for a person without counted orders, or before the first refresh.
          <Fact term="Segment" value="no RFM figures (no counted order, or no refresh yet)" testId="details-segment" />
        )}
        {prediction ? (
          <>
            <Fact
              term="Buys next month"
              value={`${formatShare(prediction.purchase_probability)} (${prediction.predicted_next_month ? 'likely' : 'unlikely'})`}
              testId="details-probability"
            />
            <Fact term="Confidence" value={formatShare(prediction.confidence)} />
            {/* A model trained before expected spend existed sends neither figure: leave them out, not 0. */}
            {prediction.expected_orders != null && (
              <Fact term={`Expected orders, ${horizonText(prediction.horizon_days)}`} value={formatDecimal(prediction.expected_orders, 2)} testId="details-expected-orders" />
            )}
            {prediction.expected_revenue != null && (
              <Fact term={`Expected revenue, ${horizonText(prediction.horizon_days)}`} value={formatMoney(prediction.expected_revenue)} testId="details-expected-revenue" />
            )}
          </>
        ) : (
          <Fact term="Buys next month" value="no prediction yet (no model trained)" testId="details-probability" />
        )}
      </dl>
      <h3>Purchase history</h3>
      {details.transaction_history.length === 0 ? (
        <p class="empty">No counted orders.</p>
      ) : (
        <div class="table-scroll">
          <table data-testid="details-history">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col" class="num">
                  Amount
                </th>
                <th scope="col">Products</th>
              </tr>
            </thead>
            <tbody>
              {details.transaction_history.map((order, i) => (
                <tr key={order.order_id ?? i}>
                  <td>{order.date}</td>
                  <td class="num">{formatMoney(order.amount)}</td>
                  <td>{order.products?.length ? order.products.join(', ') : '–'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {details.refunds.length > 0 ? (
        <>
          <h3>Refunds</h3>
          <div class="table-scroll">
            <table data-testid="details-refunds">
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col" class="num">
                    Amount
                  </th>
                </tr>
              </thead>
              <tbody>
                {details.refunds.map((refund, i) => (
                  <tr key={refund.refund_id ?? i}>
                    <td>{refund.date}</td>
                    <td class="num">{formatMoney(refund.amount)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </div>
  );
}

function score(value: number | undefined): string {
  return value == null ? '' : ` · score ${value}`;
}

function Fact({ term, value, testId }: { term: string; value: string; testId?: string }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}
