/** ScaleDeck's load testing engine: definitions, the worker-thread engine, reports, the CLI. */
export * from './types.ts';
export { parseDuration, parseStages, parseThreshold, normalizeDefinition, checkTarget, targetAt, LoadTestDefinitionError, LoadTestTargetError, type TargetPolicy } from './parse.ts';
export { startLoadTest, LoadTestRun, MODEL_DESCRIPTIONS, newRunId, type StartOptions } from './engine.ts';
export { saveReport, saveHtmlReport, loadReport, listReports, compareReports, renderHtmlReport, summarizeReport, reportPath } from './report.ts';
export { LoadTestManager, type LoadTestEvent, type LoadTestManagerOptions } from './manager.ts';
export { loadtestCommand, LOADTEST_USAGE, type LoadtestIo } from './cli.ts';
