import { useState } from 'react';
import type { ClusterDetail } from '../../../../shared/api/index.ts';
import { ErrorNotice } from '../../components/ui.tsx';
import { useCluster, useClusters } from '../../data/clusters/queries.ts';
import { errorCode } from '../../lib/errors.ts';
import { navigate, paths } from '../../lib/router.ts';
import { SpecEditor } from '../../spec/SpecEditor.tsx';
import { SpecEditorSkeleton } from '../../spec/SpecEditorSkeleton.tsx';

function Editor({ cluster, stored }: { cluster: ClusterDetail; stored: string }) {
  const clusters = useClusters();
  // The draft starts from the stored spec; the stored spec may change underneath (a scale).
  const [base, setBase] = useState(stored);
  const [yaml, setYaml] = useState(stored);
  const dirty = yaml !== base;
  const storedMoved = stored !== base;

  const toolbar = (
    <div className="spec-toolbar">
      <span className="muted small">
        Stored spec of <span className="mono">{cluster.name}</span>
        {dirty ? ' · edited' : ''}
      </span>
      {storedMoved && (
        <span className="chip chip-warn" role="status">
          the stored spec changed since you opened it
        </span>
      )}
      <button
        type="button"
        className="btn btn-sm"
        data-testid="spec-revert"
        disabled={!dirty && !storedMoved}
        onClick={() => {
          setBase(stored);
          setYaml(stored);
        }}
      >
        {storedMoved ? 'Load the stored spec' : 'Revert'}
      </button>
    </div>
  );

  return (
    <SpecEditor
      mode="existing"
      yaml={yaml}
      onYamlChange={setYaml}
      lockedName={cluster.name}
      clusters={clusters.data}
      toolbar={toolbar}
      onApplied={(name) => navigate(paths.clusterTab(name, 'overview'))}
    />
  );
}

/** Spec: the cluster's stored spec in the editor; Apply converges what runs to it. */
export default function SpecTab({ name }: { name: string }) {
  const cluster = useCluster(name);
  if (cluster.isError) {
    return errorCode(cluster.error) === 'NOT_FOUND' ? null : <ErrorNotice error={cluster.error} title="Cannot load this cluster" />;
  }
  if (!cluster.data) return <SpecEditorSkeleton />;
  const c = cluster.data;
  if (!c.specYaml) {
    return (
      <div className="empty empty-narrow" data-testid="spec-missing">
        <div className="empty-text">
          <h3>No spec is stored for this cluster</h3>
          <p>
            Its containers carry the <span className="mono">io.scaledeck.cluster={name}</span> label, so ScaleDeck sees them, but this workspace has no spec
            for it: it was created by another ScaleDeck, another workspace, or by hand.
          </p>
          <p>
            ScaleDeck never guesses a spec from running containers. Write one with the same name in the spec editor and Apply: what already matches is
            kept, the rest is recreated.
          </p>
          <p>
            <a className="btn" href={paths.newCluster()}>
              Open the spec editor
            </a>
          </p>
        </div>
      </div>
    );
  }
  return <Editor cluster={c} stored={c.specYaml} />;
}
