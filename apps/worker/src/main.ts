import { closeOnSignals, startWorkers } from './worker';

closeOnSignals(startWorkers());
