// Background service worker: the only client of the backend (see DESIGN §3).
export default defineBackground(() => {
  console.info('[keepers] background started');
});
