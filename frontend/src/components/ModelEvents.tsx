import type { ModelEvent } from '../lib/admin-api';
import { when } from '../lib/model-registry';

function describe(event: ModelEvent): string {
  const detail = event.detail ?? {};
  const reason = typeof detail.reason === 'string' ? detail.reason : '';
  const previous = typeof detail.previous === 'number' ? ` (was v${detail.previous})` : '';
  return [reason, event.alias ? `${event.alias}${previous}` : ''].filter(Boolean).join(' · ');
}

/** Publications, promotions, refusals and roll backs, newest first. */
export function ModelEvents(props: { events: ModelEvent[] }) {
  return (
    <section data-testid="event-list">
      <h3>History</h3>
      {props.events.length === 0 && <p>No events yet.</p>}
      <ul className="events">
        {props.events.map((e, i) => (
          <li key={`${e.created_at}-${i}`} data-testid="event" data-event={e.event} data-version={e.version ?? ''}>
            <time>{when(e.created_at)}</time> <b>{e.event}</b> v{e.version ?? '?'}
            {e.actor ? ` by ${e.actor}` : ''} <span className="detail">{describe(e)}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
