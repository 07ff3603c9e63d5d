import { measureRender } from './_render.ts';

/** `npm run bench -- render`: the renderer half of the metrics benchmark on its own (no Docker). */
const r = await measureRender();
console.log(`render_ms ${r.render_ms} (target < 16), vs_bare_recharts ${r.vs_bare_recharts}`);
console.log(JSON.stringify({ bench: 'render', ...r, peer: 'bare recharts, 4 charts x 20 series x 300 points, same browser, same run' }));
