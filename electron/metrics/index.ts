export * from './types.ts';
export { MetricsHub, type MetricsHubOptions } from './hub.ts';
export { AlertEngine, DEFAULT_RULES, RuleValidationError, validateRules } from './alerts.ts';
export { prometheusScrapeConfig, type ScrapeConfigInput, type ScrapeConfigOptions } from './scrape-config.ts';
export { BridgeNetworkResolver, StaticResolver, type AddressResolver, type MetricsTarget } from './address.ts';
export { parseExposition, ExpositionError } from './exposition.ts';
export { histogramQuantile } from './histogram.ts';
export { SeriesStore } from './series.ts';
export { MetricsRegistry } from './registry.ts';
