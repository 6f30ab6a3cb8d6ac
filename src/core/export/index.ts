export * from './record';
export * from './single';
export * from './mvtec';
export * from './folder';
