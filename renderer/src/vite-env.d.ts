// Lets the entry point import its stylesheet; Vite bundles it.
declare module '*.css';
