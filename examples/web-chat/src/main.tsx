import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '@chat-engine/react/styles.css';
import './app.css';
import { App } from './App';
import { PerfPage } from './PerfPage';

const params = new URLSearchParams(window.location.search);
const perf = params.get('perf');
const root = document.getElementById('root');
if (!root) throw new Error('no #root');
createRoot(root).render(<StrictMode>{perf ? <PerfPage count={Number(perf) || 10_000} /> : <App />}</StrictMode>);
