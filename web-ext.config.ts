import { defineWebExtConfig } from 'wxt';

// `wxt dev` must not try to open a browser window on a machine without a display (CI, containers).
export default defineWebExtConfig({
  disabled: true,
});
