import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { prometheusScrapeConfig } from './scrape-config.ts';

const spec = { name: 'shop', api: { replicas: 3, port: 3000 }, postgres: { database: 'app' } };

describe('prometheusScrapeConfig', () => {
  it('is valid YAML that scrapes every API node on the cluster network', () => {
    const text = prometheusScrapeConfig(spec);
    const doc = YAML.parse(text) as { global: { scrape_interval: string }; scrape_configs: { job_name: string; metrics_path: string; static_configs: { targets: string[]; labels: Record<string, string> }[] }[] };
    expect(doc.global.scrape_interval).toBe('5s');
    expect(doc.scrape_configs).toHaveLength(1);
    const job = doc.scrape_configs[0]!;
    expect(job.job_name).toBe('scaledeck-shop-api');
    expect(job.metrics_path).toBe('/metrics');
    expect(job.static_configs[0]!.targets).toEqual(['api-1:3000', 'api-2:3000', 'api-3:3000']);
    expect(job.static_configs[0]!.labels).toEqual({ scaledeck_cluster: 'shop', scaledeck_role: 'api' });
  });
  it('explains exporters for nginx, redis and postgres without printing secrets', () => {
    const text = prometheusScrapeConfig(spec);
    expect(text).toContain('--network sd-shop');
    expect(text).toContain('http://balancer:8081/nginx_status');
    expect(text).toContain('redis://redis:6379');
    expect(text).toContain('postgresql://postgres:${POSTGRES_PASSWORD}@postgres:5432/app');
    expect(text).toContain('docker_sd_configs');
  });
  it('follows the running nodes and options', () => {
    const text = prometheusScrapeConfig(spec, { apiNodes: ['api-1', 'api-7'], scrapeIntervalS: 15, metricsPath: '/m' });
    const doc = YAML.parse(text) as { global: { scrape_interval: string }; scrape_configs: { metrics_path: string; static_configs: { targets: string[] }[] }[] };
    expect(doc.scrape_configs[0]!.static_configs[0]!.targets).toEqual(['api-1:3000', 'api-7:3000']);
    expect(doc.scrape_configs[0]!.metrics_path).toBe('/m');
    expect(doc.global.scrape_interval).toBe('15s');
  });
});
