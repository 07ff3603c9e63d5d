import { ScaleDeckError } from '../../shared/api/errors.ts';
import { startLoadTest, type LoadTestRun, type StartOptions } from './engine.ts';
import type { TargetPolicy } from './parse.ts';
import { compareReports, listReports, loadReport, renderHtmlReport, saveReport, summarizeReport } from './report.ts';
import type { LiveRun, LiveStatus, LoadTestDefinition, LoadTestInput, LoadTestReport, ReportComparison, ReportSummary, RunState, SecondSnapshot } from './types.ts';

/** Events for the API contract's event stream (live charts, list refresh). */
export type LoadTestEvent =
  | { type: 'loadtest-progress'; runId: string; snapshot: SecondSnapshot }
  | { type: 'loadtest-state'; runId: string; state: RunState }
  | { type: 'loadtest-done'; runId: string; summary: ReportSummary | null; error: string | null };

export interface LoadTestManagerOptions {
  /** Workspace folder for report files. */
  reportsDir: string;
  /** Pushes events to every client (e.g. services/events.ts). */
  emit?: (event: LoadTestEvent) => void;
  /** Runs at the same time (default 2). */
  maxConcurrent?: number;
}

/**
 * What the services layer wraps for the API contract: start / stop / get / list / compare / html.
 * Live runs are kept in memory; finished runs are report files in the workspace.
 */
export class LoadTestManager {
  private runs = new Map<string, LoadTestRun>();
  private readonly opts: LoadTestManagerOptions;

  constructor(opts: LoadTestManagerOptions) {
    this.opts = opts;
  }

  /**
   * Start a run. `policy.allowHosts` should hold the cluster's balancer URL when the target is a
   * cluster; `allowExternal` only after the user confirmed. Throws BAD_REQUEST for a bad
   * definition or a refused target, BUSY when too many runs are live.
   */
  start(input: LoadTestInput | LoadTestDefinition, policy: TargetPolicy & Pick<StartOptions, 'cluster'> = {}): { runId: string; model: 'open' | 'closed'; definition: LoadTestDefinition } {
    if (this.runs.size >= (this.opts.maxConcurrent ?? 2)) {
      throw new ScaleDeckError('BUSY', `${this.runs.size} load tests are already running`, 'stop one or wait for it to end');
    }
    const run = startLoadTest(input, policy);
    const emit = this.opts.emit ?? (() => undefined);
    this.runs.set(run.id, run);
    run.on('snapshot', (snapshot: SecondSnapshot) => emit({ type: 'loadtest-progress', runId: run.id, snapshot }));
    run.on('state', (state: RunState) => emit({ type: 'loadtest-state', runId: run.id, state }));
    run.done.then(
      (report) => {
        let summary: ReportSummary | null = summarizeReport(report);
        let error: string | null = null;
        try {
          saveReport(this.opts.reportsDir, report);
        } catch (err) {
          error = `report not saved: ${err instanceof Error ? err.message : String(err)}`;
          summary = summarizeReport(report);
        }
        this.runs.delete(run.id);
        emit({ type: 'loadtest-done', runId: run.id, summary, error });
      },
      (err: unknown) => {
        this.runs.delete(run.id);
        emit({ type: 'loadtest-done', runId: run.id, summary: null, error: err instanceof Error ? err.message : String(err) });
      },
    );
    return { runId: run.id, model: run.model, definition: run.definition };
  }

  stop(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) throw new ScaleDeckError('NOT_FOUND', `No running load test "${runId}"`);
    run.stop('stopped by the user');
  }

  /** A live run's status (with its series so far) or a finished run's report. */
  get(runId: string): { live: LiveRun | null; report: LoadTestReport | null } {
    const run = this.runs.get(runId);
    if (run) return { live: { ...run.status(), series: run.seriesSoFar() }, report: null };
    return { live: null, report: loadReport(this.opts.reportsDir, runId) };
  }

  list(): { running: LiveStatus[]; reports: ReportSummary[] } {
    return { running: [...this.runs.values()].map((r) => r.status()), reports: listReports(this.opts.reportsDir) };
  }

  compare(a: string, b: string): ReportComparison {
    return compareReports(loadReport(this.opts.reportsDir, a), loadReport(this.opts.reportsDir, b));
  }

  /** The self-contained HTML export of a finished run. */
  html(runId: string): string {
    return renderHtmlReport(loadReport(this.opts.reportsDir, runId));
  }

  /** Stop every live run (app quit) and wait for their reports. */
  async stopAll(): Promise<void> {
    const runs = [...this.runs.values()];
    for (const r of runs) r.stop('the app is closing');
    await Promise.allSettled(runs.map((r) => r.done));
  }
}
