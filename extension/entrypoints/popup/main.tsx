import { render } from 'preact';

function Popup() {
  return <main>Discogs Keepers</main>;
}

const root = document.getElementById('app');
if (root) render(<Popup />, root);
