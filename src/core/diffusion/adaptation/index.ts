export * from './adapter';
export * from './conv';
export * from './metrics';
export * from './solve';
export * from './pack-adapter';
