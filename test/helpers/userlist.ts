/** A rendered PgBouncer userlist.txt as role → secret, in file order (`"role" "secret"` per line). */
export function userlistEntries(text: string): Map<string, string> {
    return new Map(
        text
            .trim()
            .split("\n")
            .map((line) => {
                const [, user, secret] = /^"([^"]+)" "(.*)"$/.exec(line) ?? [];
                return [user, secret] as const;
            }),
    );
}
