// @omk/scheduler: public surface (named exports only).
export const PACKAGE_NAME = "@omk/scheduler";
