/** 850 ms, 4.2 s, 1 m 05 s */
export function formatDuration(ms: number | undefined | null): string {
  if (ms == null || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return `${m} m ${String(s).padStart(2, '0')} s`;
}

export function formatTime(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function formatAgo(epochMs: number, now = Date.now()): string {
  const d = Math.max(0, now - epochMs);
  if (d < 10_000) return 'just now';
  if (d < 60_000) return `${Math.floor(d / 1000)} s ago`;
  if (d < 3_600_000) return `${Math.floor(d / 60_000)} min ago`;
  if (d < 86_400_000) return `${Math.floor(d / 3_600_000)} h ago`;
  return new Date(epochMs).toLocaleDateString();
}

/** "nginx:1.27-alpine" stays; "registry.example.com/team/api:sha-abc" becomes "api:sha-abc"; ids are cut to 12 hex. */
export function shortImage(image: string): string {
  if (/^sha256:[0-9a-f]{12,}$/.test(image)) return image.slice(0, 19); // an image id: sha256 + 12 hex
  const slash = image.lastIndexOf('/');
  return slash >= 0 ? image.slice(slash + 1) : image;
}

/** Cluster names: the same rule as the spec schema, with a friendlier sentence per mistake. */
export function validateClusterName(name: string): string | null {
  if (name.length === 0) return 'Give the cluster a name, for example "starter".';
  if (name.length > 32) return `Keep it to 32 characters or fewer (this one has ${name.length}).`;
  if (/\s/.test(name)) return 'Names cannot contain spaces; use a dash instead, like "my-cluster".';
  if (/[A-Z]/.test(name)) return `Use lowercase letters only: "${name.toLowerCase()}" would work.`;
  if (/[^a-z0-9-]/.test(name)) return 'Only lowercase letters, digits and dashes (-) are allowed.';
  if (!/^[a-z]/.test(name)) return 'Start the name with a letter.';
  if (name.endsWith('-')) return 'End the name with a letter or a digit, not a dash.';
  return null;
}

export function validatePort(raw: string): string | null {
  if (raw.trim() === '') return 'Choose a port on 127.0.0.1, for example 8080.';
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) return 'The port must be a whole number between 1 and 65535.';
  if (n < 1024) return 'Ports below 1024 need root; pick one such as 8080.';
  return null;
}
