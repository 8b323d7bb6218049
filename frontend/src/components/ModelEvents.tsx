import type { ModelEvent } from '../lib/admin-api';
import { when } from '../lib/model-registry';

function describe(event: ModelEvent): string {
  const detail = event.detail ?? {};
  const reason = typeof detail.reason === 'string' ? detail.reason : '';
  const previous = typeof detail.previous === 'number' ? ` (was v${detail.previous})` : '';
  return [reason, event.alias ? `${event.alias}${previous}` : ''].filter(Boolean).join(' · ');
}

interface Props {
  events: ModelEvent[];
  /** Set while older events are left to load: the button below the list calls it. */
  onOlder?: () => void;
  loadingOlder?: boolean;
}

/** Publications, promotions, refusals and roll backs, newest first, a page at a time. */
export function ModelEvents({ events, onOlder, loadingOlder = false }: Props) {
  return (
    <section data-testid="event-list">
      <h3>History</h3>
      {events.length === 0 && <p>No events yet.</p>}
      <ul className="events">
        {events.map((e) => (
          <li key={e.id} data-testid="event" data-event={e.event} data-version={e.version ?? ''}>
            <time>{when(e.created_at)}</time> <b>{e.event}</b> v{e.version ?? '?'}
            {e.actor ? ` by ${e.actor}` : ''} <span className="detail">{describe(e)}</span>
          </li>
        ))}
      </ul>
      {onOlder && (
        <button type="button" data-testid="events-older" disabled={loadingOlder} onClick={onOlder}>
          {loadingOlder ? 'Loading…' : 'Older events'}
        </button>
      )}
    </section>
  );
}
