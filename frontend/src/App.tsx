import { useEffect, useState } from 'react';
import { CapturePage } from './pages/CapturePage';
import { ModelsPage } from './pages/ModelsPage';
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
  const onModels = route.startsWith('/models');
  const onCapture = !onSessions && !onModels;
  return (
    <div className="app">
      <header className="topbar">
        <h1>PoseStream</h1>
        <nav>
          <a href="#/" className={onCapture ? 'active' : ''}>
            Capture
          </a>
          <a href="#/sessions" className={onSessions ? 'active' : ''}>
            Sessions
          </a>
          <a href="#/models" className={onModels ? 'active' : ''} data-testid="nav-models">
            Models
          </a>
        </nav>
      </header>
      {/* The capture page stays mounted (camera and model stay loaded) while another page shows. */}
      <div hidden={!onCapture}>
        <CapturePage />
      </div>
      {onSessions && <SessionsPage route={route} />}
      {onModels && <ModelsPage route={route} />}
    </div>
  );
}
