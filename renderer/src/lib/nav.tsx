import type { ReactNode } from 'react';
import { paths, type Route } from './router.ts';

/**
 * Top-level sections of the sidebar. Only sections that exist are listed: a future Hosts, Load
 * tests or Upgrades section is one entry here (plus its Route in router.ts and its lazy page in
 * App.tsx). `children: 'clusters'` asks the sidebar to list the clusters under the entry.
 */
export interface Section {
  id: string;
  label: string;
  href: string;
  icon: ReactNode;
  /** Is this section the current one? */
  match: (route: Route) => boolean;
  children?: 'clusters';
}

export const SECTIONS: Section[] = [
  {
    id: 'clusters',
    label: 'Clusters',
    href: paths.clusters(),
    match: (r) => r.page === 'clusters' || r.page === 'new-cluster',
    children: 'clusters',
    icon: (
      <svg className="nav-icon" viewBox="0 0 16 16" aria-hidden="true">
        <rect x="2" y="2" width="12" height="4" rx="1" />
        <rect x="2" y="10" width="5" height="4" rx="1" />
        <rect x="9" y="10" width="5" height="4" rx="1" />
      </svg>
    ),
  },
  {
    id: 'hosts',
    label: 'Hosts',
    href: paths.hosts(),
    match: (r) => r.page === 'hosts',
    icon: (
      <svg className="nav-icon" viewBox="0 0 16 16" aria-hidden="true">
        <rect x="2" y="2.5" width="12" height="4.5" rx="1" />
        <rect x="2" y="9" width="12" height="4.5" rx="1" />
        <path d="M4.5 4.75h.01M4.5 11.25h.01" />
      </svg>
    ),
  },
  {
    id: 'loadtests',
    label: 'Load tests',
    href: paths.loadtests(),
    match: (r) => r.page === 'loadtests',
    icon: (
      <svg className="nav-icon" viewBox="0 0 16 16" aria-hidden="true">
        <path d="M1.5 13.5h13" />
        <path d="M2.5 11l3-4 3 2.5 5-6" />
      </svg>
    ),
  },
  {
    id: 'upgrades',
    label: 'Upgrades',
    href: paths.upgrades(),
    match: (r) => r.page === 'upgrades',
    icon: (
      <svg className="nav-icon" viewBox="0 0 16 16" aria-hidden="true">
        <path d="M8 13.5V3M4 6.5 8 2.5l4 4" />
        <path d="M3 13.5h10" />
      </svg>
    ),
  },
  {
    id: 'settings',
    label: 'Settings',
    href: paths.settings(),
    match: (r) => r.page === 'settings',
    icon: (
      <svg className="nav-icon" viewBox="0 0 16 16" aria-hidden="true">
        <circle cx="8" cy="8" r="2.2" />
        <path d="M8 1.5v2M8 12.5v2M1.5 8h2M12.5 8h2M3.4 3.4l1.4 1.4M11.2 11.2l1.4 1.4M3.4 12.6l1.4-1.4M11.2 4.8l1.4-1.4" />
      </svg>
    ),
  },
];
