export * from './core-from-env.ts';
export * from './env.ts';
export * from './http.ts';
export * from './routes.ts';
