export default function Access() {
  return <p>Coming soon.</p>;
}
