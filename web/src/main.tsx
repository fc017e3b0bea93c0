// Entry point of the dashboard bundle: styles first (uPlot's own, then ours), then the page.
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { Dashboard } from './components/Dashboard.tsx';

render(<Dashboard />, document.getElementById('app')!);
