// @omk/gates: public surface (named exports only).
export const PACKAGE_NAME = "@omk/gates";
