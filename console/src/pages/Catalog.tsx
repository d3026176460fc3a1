export default function Catalog() {
  return <p>Coming soon.</p>;
}
