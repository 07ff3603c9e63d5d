export * from './contract.ts';
export * from './types.ts';
export * from './errors.ts';
export * from './client.ts';
