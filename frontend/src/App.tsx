import { useEffect, useState } from 'react';
import { CapturePage } from './pages/CapturePage';
import { SessionsPage } from './pages/SessionsPage';

function useHashRoute(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash.replace(/^#/, '') || '/';
}

export function App() {
  const route = useHashRoute();
  const onSessions = route.startsWith('/sessions');
  return (
    <div className="app">
      <header className="topbar">
        <h1>PoseStream</h1>
        <nav>
          <a href="#/" className={onSessions ? '' : 'active'}>
            Capture
          </a>
          <a href="#/sessions" className={onSessions ? 'active' : ''}>
            Sessions
          </a>
        </nav>
      </header>
      {/* The capture page stays mounted (camera and model stay loaded) while sessions show. */}
      <div hidden={onSessions}>
        <CapturePage />
      </div>
      {onSessions && <SessionsPage route={route} />}
    </div>
  );
}
