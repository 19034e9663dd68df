import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createTransport } from './transport/createTransport';
import './styles.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root element');
createRoot(root).render(<App transport={createTransport()} />);
