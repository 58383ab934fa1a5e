// @omk/oracle: public surface (named exports only).
export const PACKAGE_NAME = "@omk/oracle";
