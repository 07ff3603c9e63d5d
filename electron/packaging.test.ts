import { describe, expect, it } from 'vitest';
import { join } from 'node:path';

/** electron-builder.yml is validated against electron-builder's own schema, without building. */
describe('electron-builder.yml', () => {
  it('passes electron-builder schema validation and targets AppImage, deb, dmg and nsis', async () => {
    const { getConfig, validateConfiguration } = await import('app-builder-lib/out/util/config/config.js');
    const { DebugLogger } = await import('builder-util');
    const root = join(import.meta.dirname, '..');
    const config = await getConfig(root, join(root, 'electron-builder.yml'), null);
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    const targets = (t: unknown) => (t as string[]).map(String);
    expect(targets(config.linux?.target)).toEqual(['AppImage', 'deb']);
    expect(targets(config.mac?.target)).toEqual(['dmg']);
    expect(targets(config.win?.target)).toEqual(['nsis']);
    expect(config.extraMetadata?.main).toBe('dist/electron/main.mjs');
  });

  it('rejects a config with an unknown option (the validation can fail)', async () => {
    const { validateConfiguration } = await import('app-builder-lib/out/util/config/config.js');
    const { DebugLogger } = await import('builder-util');
    await expect(validateConfiguration({ appId: 'x', notAnOption: true } as never, new DebugLogger(false))).rejects.toThrow(/notAnOption|unknown/i);
  });
});
