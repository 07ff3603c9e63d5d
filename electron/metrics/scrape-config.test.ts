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

describe('scrape config of a cluster spread over hosts', () => {
  it('targets each node as the balancer host reaches it, with its service as a label', () => {
    const text = prometheusScrapeConfig(
      { name: 'shop', api: { replicas: 2, port: 3000 }, postgres: { database: 'app' } },
      { spread: { host: 'lb', targets: [{ service: 'api-1', address: '10.0.0.1:13001' }, { service: 'api-2', address: 'api-2:3000' }] } },
    );
    expect(text).toContain('Run Prometheus on host lb');
    expect(text).toContain('- targets: ["10.0.0.1:13001"]');
    expect(text).toContain('scaledeck_service: "api-1"');
    expect(text).toContain('- targets: ["api-2:3000"]');
    expect(text).not.toContain('relabel_configs');
    const parsed = YAML.parse(text) as { scrape_configs: { static_configs: { targets: string[]; labels: Record<string, string> }[] }[] };
    expect(parsed.scrape_configs[0]!.static_configs.map((c) => [c.targets[0], c.labels.scaledeck_service])).toEqual([
      ['10.0.0.1:13001', 'api-1'],
      ['api-2:3000', 'api-2'],
    ]);
  });
});
