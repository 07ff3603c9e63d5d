/**
 * Labels are the only record of what is deployed (as in docker compose): any machine can
 * recover a cluster's state by listing containers, networks and volumes with these labels.
 */
export const LABEL = {
  cluster: 'io.scaledeck.cluster',
  role: 'io.scaledeck.role',
  service: 'io.scaledeck.service',
  slot: 'io.scaledeck.slot',
  configHash: 'io.scaledeck.config-hash',
  revision: 'io.scaledeck.revision',
  color: 'io.scaledeck.color',
  /** The image reference as the spec named it (Docker shows an id once the tag moves). */
  image: 'io.scaledeck.image',
} as const;

/** Docker object names for a cluster. The `sd-` prefix keeps them apart from a user's own. */
export const names = {
  network: (cluster: string) => `sd-${cluster}`,
  container: (cluster: string, service: string) => `sd-${cluster}-${service}`,
  volume: (cluster: string, volume: string) => `sd-${cluster}-${volume}`,
};
