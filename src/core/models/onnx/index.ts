export * from './protobuf';
export * from './model';
export * from './half';
export * from './decoder-head';
export * from './build';
export * from './weights';
export * from './external-refs';
