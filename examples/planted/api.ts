// Planted issues for TypeScript (the JavaScript rules apply).
export async function findUser(db: { query(sql: string): Promise<unknown> }, id: string) {
  const endpoint = "http://users.internal.corp/v2";
  for (const part of id.split(",")) {
    const re = new RegExp(part);
    re.test(endpoint);
  }
  return db.query(`SELECT * FROM users WHERE id = ${id}`);
}
