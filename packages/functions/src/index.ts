export * from './env.ts';
export * from './http.ts';
export * from './routes.ts';
