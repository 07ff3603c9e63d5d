import { Skeleton } from '../components/ui.tsx';

/** The editor's shape while presets or the cluster load: nothing moves when they arrive. */
export function SpecEditorSkeleton() {
  return (
    <div className="spec-editor" aria-busy="true">
      <div className="spec-top">
        <Skeleton width={320} height={26} />
      </div>
      <div className="spec-cols">
        <div className="card spec-form">
          {[0, 1, 2, 3].map((i) => (
            <div key={i} style={{ marginBottom: 26 }}>
              <Skeleton width={120} height={13} />
              <div className="form-grid" style={{ marginTop: 12 }}>
                <Skeleton width="100%" height={32} />
                <Skeleton width="100%" height={32} />
              </div>
            </div>
          ))}
        </div>
        <div className="card spec-yaml">
          <Skeleton width={140} height={14} />
          <Skeleton width="100%" height={360} style={{ marginTop: 14 }} />
        </div>
      </div>
    </div>
  );
}
