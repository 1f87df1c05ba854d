// Every workflow the TypeScript worker hosts (the bundler's entry point).
export { smoke } from './smoke';
