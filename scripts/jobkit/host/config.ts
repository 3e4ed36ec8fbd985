import { DEFAULT_LAYOUT, type HostLayout } from './layout.js';

/** The layout of the host at `root`. */
export function loadLayout(_root: string): HostLayout {
  return DEFAULT_LAYOUT;
}
