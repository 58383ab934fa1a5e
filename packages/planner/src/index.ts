// @omk/planner: public surface (named exports only).
export const PACKAGE_NAME = "@omk/planner";
