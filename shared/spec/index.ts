export * from './schema.ts';
export * from './images.ts';
export * from './validate.ts';
export * from './presets.ts';
