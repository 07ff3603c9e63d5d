import type { ClusterSpec } from '../spec/schema.ts';
import { generateCompose, generateEnvExample } from './compose.ts';
import { buildServiceModel } from './model.ts';
import { generateNginxConf } from './nginx.ts';

export * from './model.ts';
export * from './nginx.ts';
export * from './compose.ts';
export * from './create-options.ts';

export interface ExportBundle {
  'docker-compose.yml': string;
  'nginx.conf': string;
  '.env.example': string;
}

/** Everything `scaledeck export` writes, from the same generators the engine uses. */
export function generateExport(spec: ClusterSpec): ExportBundle {
  const nginx = generateNginxConf(spec);
  const model = buildServiceModel(spec, nginx);
  return {
    'docker-compose.yml': generateCompose(spec, model),
    'nginx.conf': nginx,
    '.env.example': generateEnvExample(spec),
  };
}
