export declare const ROOT: string;
export declare function isBuilt(dir: string, outputs: string[]): boolean;
export declare function buildPackage(dir: string): { code: number; output: string };
