import type { Role } from './schema.ts';

/**
 * Image sets. "official" are the images a user's machine pulls from Docker Hub (the API node is
 * the backend template, built locally from backend-template/). "test" are the images that
 * `npm run test-images` builds from Debian packages, for machines with no registry.
 * Only roles whose image the spec leaves unset take an image from the set.
 */
export type ImageSet = 'official' | 'test';

export const IMAGE_SETS: Record<ImageSet, Record<Role, string>> = {
  official: {
    balancer: 'nginx:1.27',
    api: 'scaledeck/api-template:0.1.0',
    worker: 'scaledeck/api-template:0.1.0',
    redis: 'redis:7.4',
    postgres: 'postgres:16',
  },
  test: {
    balancer: 'scaledeck-test/nginx:1',
    api: 'scaledeck-test/api:1',
    worker: 'scaledeck-test/api:1',
    redis: 'scaledeck-test/redis:1',
    postgres: 'scaledeck-test/postgres:1',
  },
};

export function parseImageSet(value: string | undefined): ImageSet {
  if (value === undefined || value === '' || value === 'official') return 'official';
  if (value === 'test') return 'test';
  throw new Error(`SCALEDECK_IMAGES must be "official" or "test" (got "${value}")`);
}
