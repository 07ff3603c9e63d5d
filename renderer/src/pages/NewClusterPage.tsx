import { useState } from 'react';
import type { ClusterSummary, PresetInfo } from '../../../shared/api/index.ts';
import { ErrorNotice } from '../components/ui.tsx';
import { useClusters } from '../data/clusters/queries.ts';
import { usePresets } from '../data/presets/queries.ts';
import { navigate, paths } from '../lib/router.ts';
import { SpecEditor } from '../spec/SpecEditor.tsx';
import { SpecEditorSkeleton } from '../spec/SpecEditorSkeleton.tsx';
import { FIELDS, formFromDoc, parse, withNameAndPort } from '../spec/specForm.ts';

function portOf(url: string | null): number | null {
  if (!url) return null;
  try {
    return Number(new URL(url).port || 80);
  } catch {
    return null;
  }
}

/** A name and a port no known cluster uses yet: "starter", "starter-2"…; 8080, 8081… */
function suggest(preset: PresetInfo, clusters: ClusterSummary[]): { name: string; port: string } {
  const names = new Set(clusters.map((c) => c.name));
  let name = preset.id;
  for (let i = 2; names.has(name); i++) name = `${preset.id}-${i}`;
  const ports = new Set(clusters.map((c) => portOf(c.url)));
  let port = 8080;
  while (ports.has(port)) port++;
  return { name, port: String(port) };
}

function PresetPicker({ presets, chosen, onPick }: { presets: PresetInfo[]; chosen: string; onPick: (p: PresetInfo) => void }) {
  return (
    <div className="preset-picker" role="group" aria-label="Start from a preset">
      <span className="field-label">Start from</span>
      {presets.map((p) => (
        <button
          key={p.id}
          type="button"
          className={`btn btn-sm${chosen === p.id ? ' btn-selected' : ''}`}
          aria-pressed={chosen === p.id}
          data-testid={`spec-preset-${p.id}`}
          title={p.description}
          onClick={() => onPick(p)}
        >
          {p.title}
        </button>
      ))}
      <span className="muted small">keeps the name and port you typed</span>
    </div>
  );
}

function Editor({ presets, clusters, initialPreset }: { presets: PresetInfo[]; clusters: ClusterSummary[]; initialPreset: string | null }) {
  const first = presets.find((p) => p.id === initialPreset) ?? presets[0]!;
  const [preset, setPreset] = useState(first.id);
  const [yaml, setYaml] = useState(() => {
    const s = suggest(first, clusters);
    return withNameAndPort(first.yaml, s.name, s.port);
  });

  const pick = (p: PresetInfo) => {
    const { doc, syntax } = parse(yaml);
    const now = syntax.length ? null : formFromDoc(doc);
    const s = suggest(p, clusters);
    setPreset(p.id);
    setYaml(withNameAndPort(p.yaml, now?.name || s.name, now?.balancerPort || FIELDS.balancerPort.fallback));
  };

  return (
    <SpecEditor
      mode="new"
      yaml={yaml}
      onYamlChange={setYaml}
      clusters={clusters}
      toolbar={<PresetPicker presets={presets} chosen={preset} onPick={pick} />}
      onApplied={(name) => navigate(paths.clusterTab(name, 'overview'))}
    />
  );
}

export default function NewClusterPage({ preset }: { preset: string | null }) {
  const presets = usePresets();
  const clusters = useClusters();
  const ready = presets.data && (clusters.data || clusters.isError);

  return (
    <div className="page page-wide">
      <nav className="crumbs" aria-label="Breadcrumb">
        <a href={paths.clusters()}>Clusters</a>
        <span aria-hidden="true">/</span>
        <span>New cluster</span>
      </nav>
      <header className="page-head">
        <div>
          <h1>New cluster</h1>
          <p className="muted">
            Describe it with the form or in YAML; both stay in sync. The spec is checked as you type, and the plan shows what Apply will create.
          </p>
        </div>
      </header>
      {presets.isError ? (
        <ErrorNotice error={presets.error} title="Cannot load the presets" />
      ) : ready && presets.data.length > 0 ? (
        <Editor key={preset ?? ""} presets={presets.data} clusters={clusters.data ?? []} initialPreset={preset} />
      ) : (
        <SpecEditorSkeleton />
      )}
    </div>
  );
}
